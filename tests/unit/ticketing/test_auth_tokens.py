"""API tokens (shown once by `hotline user add`) are safe to pass on a command line."""

from __future__ import annotations

from ticketing.auth import TOKEN_PREFIX, hash_token, new_token


def test_a_token_never_reads_as_a_command_line_option() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(t.startswith(TOKEN_PREFIX) and not t.startswith("-") for t in tokens)


def test_only_the_hash_of_a_token_is_kept() -> None:
    token = new_token()
    assert hash_token(token) != token and len(hash_token(token)) == 64
