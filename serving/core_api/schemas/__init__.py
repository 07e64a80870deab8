"""Request and response bodies of the core's routes; limits follow the event contracts."""
