"""Events as contracts: released event schemas, and the gate that keeps changes compatible."""
