-- The table the Debezium JDBC sink writes (`retail-etl connect apply` creates it; {{TABLE}} is the
-- --table option, default sales_raw_connect). Same columns, types and indexes as our sink's
-- sales_raw (sinks/postgres/raw/ddl.ts), so both sinks do the same work per row; the kafka_* columns
-- are filled by the connector's InsertField transform.
-- Two deliberate differences: no daily partitions, and event_id is the primary key — the JDBC
-- sink's upsert (ON CONFLICT (event_id)) needs a unique index on event_id alone, which a table
-- partitioned on event_time cannot have. The upsert is what keeps the at-least-once sink free of
-- duplicates, so it belongs in a fair comparison with our exactly-once COPY sink.
CREATE TABLE IF NOT EXISTS {{TABLE}} (
  event_id         uuid        PRIMARY KEY,
  event_time       timestamptz NOT NULL,
  store_id         text        NOT NULL,
  sku              text        NOT NULL,
  quantity         integer     NOT NULL,
  unit_price_cents bigint      NOT NULL,
  currency         text        NOT NULL,
  channel          text        NOT NULL,
  payment_type     text        NOT NULL,
  customer_id      text,
  basket_id        text        NOT NULL,
  kafka_partition  integer     NOT NULL,
  kafka_offset     bigint      NOT NULL,
  kafka_timestamp  timestamptz NOT NULL,
  ingested_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {{TABLE}}_store_time_idx ON {{TABLE}} (store_id, event_time);
