"""Test support for bot authors: a paperex server in a child process (``server_process``), the
exchange handle tests hold (``harness``); ``paperex.client.pytest_plugin`` turns them into fixtures."""
