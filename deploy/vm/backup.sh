#!/bin/sh
# One backup: the whole database in pg_dump's custom format (restore with pg_restore), written under
# a temporary name and renamed when complete, then dumps older than BACKUP_KEEP_DAYS removed.
set -eu
ts=$(date -u +%Y%m%dT%H%M%SZ)
out="/backups/retail-$ts.dump"
pg_dump --format=custom --file="$out.partial"
mv "$out.partial" "$out"
find /backups -name 'retail-*.dump' -mtime +"${BACKUP_KEEP_DAYS:-14}" -delete
echo "backup: wrote $out ($(du -h "$out" | cut -f1))"
