"""The central record's key pair, and opening items sealed to it on a device.

A device seals each queued item to the central record's public key so that it can
be sent even when the practitioner's PIN is forgotten or locked out (issue #5, as
ODK's encrypted submissions): ciphertext = AES-256-GCM(UTF-8 JSON of the payload,
random 256-bit key, 12-byte IV, additional data = UTF-8 of the item id), and the
AES key is wrapped with RSA-OAEP (SHA-256). Binding the item id as additional data
means a sealed payload cannot be replayed under another item's id.

The private key is made on first run into the instance folder (mode 600) and never
leaves the server.
"""
import base64
import binascii
import json
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sync import Rejected

ALG = "RSA-OAEP-256+A256GCM"
PUBLIC_ALG = "RSA-OAEP-256"
KEY_BITS = 3072
KEY_FILE = "sync_private_key.pem"
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
_creating = threading.Lock()


class SealedInvalid(Rejected):
    """A sealed item that cannot be opened; `errors` says why, under "sealed"."""

    def __init__(self, message):
        super().__init__({"sealed": message})


# Keys loaded in this process, by the bytes of their PEM file. Loading checks the RSA key (about a
# tenth of a second); an app made again from the same file (the test suite makes one per test) takes
# the checked key. Changed file, changed bytes: loaded and checked again.
_loaded = {}


class CentralKey:
    """The central record's RSA key pair."""

    def __init__(self, private_key):
        self.private_key = private_key
        self.spki = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    @classmethod
    def load_or_create(cls, path):
        """The key in `path`, made first if there is none (safely, if two processes start at once)."""
        path = Path(path)
        with _creating:
            if not path.exists():
                _create(path)
        pem = path.read_bytes()
        if pem not in _loaded:
            _loaded[pem] = serialization.load_pem_private_key(pem, password=None)
        return cls(_loaded[pem])

    def public_key_document(self):
        return {"alg": PUBLIC_ALG, "spki": base64.b64encode(self.spki).decode("ascii")}

    def unseal(self, item):
        """The payload of a sealed item as a dict; raises SealedInvalid with a clear message."""
        sealed = item.get("sealed")
        if not isinstance(sealed, dict):
            raise SealedInvalid("A sealed item must carry an object with alg, wrapped_key, iv and ciphertext.")
        if sealed.get("alg") != ALG:
            raise SealedInvalid(f"This server opens sealed items of alg {ALG!r} only, not {str(sealed.get('alg'))[:50]!r}.")
        wrapped_key = _b64(sealed, "wrapped_key")
        iv = _b64(sealed, "iv")
        ciphertext = _b64(sealed, "ciphertext")
        if len(iv) != 12:
            raise SealedInvalid("The sealed item's iv must be 12 bytes.")
        try:
            key = self.private_key.decrypt(wrapped_key, OAEP)
        except ValueError:
            raise SealedInvalid("The sealed item's key could not be opened: it was not sealed to this "
                                "server's current public key, or it was damaged. Keep it and contact IT support.")
        if len(key) != 32:
            raise SealedInvalid("The sealed item's key must be a 256-bit AES key.")
        try:
            plaintext = AESGCM(key).decrypt(iv, ciphertext, item["id"].encode("utf-8"))
        except InvalidTag:
            raise SealedInvalid("The sealed item does not match its id, or it was altered on the way.")
        try:
            payload = json.loads(plaintext.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise SealedInvalid("The sealed item opened, but what it holds is not JSON.")
        if not isinstance(payload, dict):
            raise SealedInvalid("The sealed item opened, but what it holds is not a JSON object.")
        return payload


def _create(path):
    """Write a new key to `path` without ever replacing one another process wrote first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)  # fails if another process made the key meanwhile
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def _b64(sealed, name):
    value = sealed.get(name)
    if not isinstance(value, str) or not value:
        raise SealedInvalid(f"The sealed item's {name} must be base64 text.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SealedInvalid(f"The sealed item's {name} is not valid base64.")


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def seal(spki_der, item_id, payload):
    """Seal a payload as a device does (for tests and tools): the `sealed` object of an item."""
    public_key = serialization.load_der_public_key(spki_der)
    key = AESGCM.generate_key(bit_length=256)
    iv = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(iv, json.dumps(payload).encode("utf-8"), item_id.encode("utf-8"))
    return {"alg": ALG, "wrapped_key": base64.b64encode(public_key.encrypt(key, OAEP)).decode("ascii"),
            "iv": base64.b64encode(iv).decode("ascii"),
            "ciphertext": base64.b64encode(ciphertext).decode("ascii")}


def init_app(app):
    """Load (or make, on first run) the key named by SYNC_PRIVATE_KEY_FILE or the instance folder's."""
    path = app.config.get("SYNC_PRIVATE_KEY_FILE") or os.path.join(app.instance_path, KEY_FILE)
    app.extensions["fieldvisit.central_key"] = CentralKey.load_or_create(path)


def central_key(app):
    return app.extensions["fieldvisit.central_key"]
