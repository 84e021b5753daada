"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when the username is unknown takes as long as a real check,
# so response time does not tell an attacker which usernames exist.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password):
    return _hasher.hash(password)


def check_password(password_hash, password):
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
