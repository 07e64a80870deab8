-- Run once by the postgres image on an empty volume. MLflow gets a database of its own:
-- MLflow and the core both migrate with Alembic, and each keeps its own alembic_version.
CREATE DATABASE mlflow OWNER agora;
