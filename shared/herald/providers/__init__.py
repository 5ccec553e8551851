"""Provider adapters: one small class per way of delivering, behind one interface."""
