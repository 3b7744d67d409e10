"""The deterministic core, pure and I/O-free: it takes plain typed facts (frames, values) and
returns value objects. It imports nothing else of tierbot and no I/O library."""
