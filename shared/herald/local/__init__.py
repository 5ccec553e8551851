"""Running Herald on this machine: emulators, functions and sinks, wired as in the cloud."""
