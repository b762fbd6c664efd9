"""marshmallow schemas: what clients send and what they read."""
