"""The application core: the single writer (sequencer), the exchange state it applies commands to, the command
tape, admission, and the in-process stream hub."""
