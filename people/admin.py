# Persons are deliberately not in the Django admin: administrators manage users, stations and the
# red-flag catalogue, and do not by that alone read case content (docs/permissions.md).
