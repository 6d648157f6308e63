"""A slow, independent reference of the archive's point checksum (include/repdrift/checksum.h).

SipHash-2-4 written out from Aumasson & Bernstein (2012) in plain Python integers, and the point
checksum built from an archive read with h5py:

    SipHash-2-4, key b"repdrift archive", over
      len(options) as 8 bytes little-endian | /config/options | point as 8 bytes little-endian |
      the point's slice of every per-point dataset but /sweep/wall_seconds and /sweep/checksum,
      present in the file, in the order of `repdrift-report -schema`, as stored (little-endian)
    and 0 recorded as 1.

The datasets and their order come from the schema text `repdrift-report -schema` prints (schema
order); the sweep description (written when the archive is created) is named here.
"""
import numpy as np

KEY = b"repdrift archive"
MASK = (1 << 64) - 1
# written when the archive is created (the sweep description), not per point
SWEEP_DESCRIPTION = {"/sweep/frequency", "/sweep/noise_level", "/sweep/width", "/sweep/seed",
                     "/sweep/stimulus_probability", "/sweep/lr", "/sweep/noise_type"}
NOT_CHECKSUMMED = {"/sweep/wall_seconds", "/sweep/checksum"}


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def _round(v):
    v0, v1, v2, v3 = v
    v0 = (v0 + v1) & MASK; v1 = _rotl(v1, 13); v1 ^= v0; v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & MASK; v3 = _rotl(v3, 16); v3 ^= v2
    v0 = (v0 + v3) & MASK; v3 = _rotl(v3, 21); v3 ^= v0
    v2 = (v2 + v1) & MASK; v1 = _rotl(v1, 17); v1 ^= v2; v2 = _rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash24(key, message):
    """SipHash-2-4 of the bytes MESSAGE under the 16-byte KEY (the paper's Section 2)."""
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:16], "little")
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]
    n = len(message)
    words = np.frombuffer(message[: n - n % 8], dtype="<u8").tolist() if n >= 8 else []
    last = int.from_bytes(message[n - n % 8:], "little") | ((n & 0xFF) << 56)
    for m in words + [last]:
        v[3] ^= m
        v = _round(_round(v))
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        v = _round(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def per_point_datasets(schema_text):
    """The checksummed datasets in schema order, from `repdrift-report -schema`."""
    paths = []
    for line in schema_text.splitlines():
        if line.startswith("dataset "):
            path = line.split()[1]
            if path not in SWEEP_DESCRIPTION and path not in NOT_CHECKSUMMED:
                paths.append(path)
    return paths


def point_checksums(archive, schema_text):
    """{point: checksum} of every point whose status is not pending, from the stored bytes."""
    options = archive["/config/options"][()]
    options = options if isinstance(options, bytes) else options.encode()
    status = archive["/sweep/status"][()]
    paths = [p for p in per_point_datasets(schema_text) if p in archive]
    data = {p: archive[p][()] for p in paths}
    out = {}
    for point in np.flatnonzero(status != 0):
        message = bytearray(len(options).to_bytes(8, "little") + options + int(point).to_bytes(8, "little"))
        for p in paths:
            values = data[p][point]
            message += np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<")).tobytes()
        value = siphash24(KEY, bytes(message))
        out[int(point)] = value or 1
    return out
