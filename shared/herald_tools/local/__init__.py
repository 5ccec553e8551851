"""Running Herald on this machine: emulators, functions and sinks, wired as in the cloud."""

import os

# The local stack forks its processes from one that also runs gRPC (the Firestore and
# Pub/Sub clients, the telemetry stand-ins). gRPC's fork handlers restart its threads in
# the child, where closing the inherited descriptors before exec aborts about one fork
# in a hundred. gRPC reads this when first imported: set here, before that.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
