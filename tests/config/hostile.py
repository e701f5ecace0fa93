"""Shared pieces of the hostile-input tests."""

# A well-formed passphrase-provider ciphertext: v1, a 12-byte nonce, 22 bytes of data.
CIPHERTEXT = "v1:Gxax31OLoS3D+X7b:Ln0sA6lQeuJl7PW1NWiFpTOTogKdJA=="
