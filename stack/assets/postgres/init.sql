-- Docker Compose only: the application role and database (the native stack does the same in
-- stack/components/postgres.ts with generated passwords).
CREATE ROLE retail LOGIN CREATEROLE PASSWORD 'retail';
CREATE DATABASE retail OWNER retail;
