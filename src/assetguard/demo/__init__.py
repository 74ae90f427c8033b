"""The protected demo application: ``/user``, ``/content`` and ``/was`` on SQLite."""
