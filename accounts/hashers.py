"""Argon2id with the parameters OWASP's password-storage cheat sheet recommends (19 MiB, 2 passes, 1 lane).

Django's own defaults (100 MiB, 8 lanes) cost about 0.3 s of CPU per login on a 2-core station server and
let a burst of logins exhaust its memory; these cost about 25 ms. Hashes made with other parameters (or
with PBKDF2 before) still verify and are rewritten with these at the user's next login (docs/operations.md).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
