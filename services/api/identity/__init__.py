"""Identity in Keystone's shapes: projects, users, roles, Fernet tokens and revocations."""
