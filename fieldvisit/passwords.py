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


# NCSC password guidance: a minimum length and a deny-list of the commonest passwords, no
# composition rules (upper case, symbols...), which only push people to predictable patterns.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
COMMON_PASSWORDS = frozenset("""
123456789012 1234567890123 12345678901234 password1234 password12345 password123! passwordpassword
qwertyuiopas qwertyuiop12 qwerty123456 1q2w3e4r5t6y iloveyou1234 letmein12345 welcome12345 welcome123!!
administrator changeme1234 abcdefghijkl abc123456789 111111111111 000000000000 123123123123 football1234
monkey123456 sunshine1234 princess1234 trustno11234 baseball1234 superman1234 starwars1234 dragon123456
fieldvisit12 fieldvisit123 fieldvisit2026 safeguarding safeguarding1 northfield12 correcthorsebattery
""".split())


def password_problem(password, username=""):
    """Why this password may not be used, in plain words, or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Your password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    folded = password.lower()
    if folded in COMMON_PASSWORDS or len(set(folded)) < 4:
        return "This password is too common or too easy to guess: choose another, such as three random words"
    if username and username.lower() in folded:
        return "Your password must not contain your username"
    return None
