"""The store: tables, migrations, engine and blob store. The only code that writes SQL."""
