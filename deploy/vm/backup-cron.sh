#!/bin/sh
# Entrypoint of the backup container: busybox crond runs backup.sh on BACKUP_SCHEDULE. Cron jobs do
# not inherit the container's environment, so the PG* and BACKUP_* variables are saved (mode 600,
# inside the container only) and sourced by the job; its output goes to the container's log.
set -eu
umask 077
export -p | grep -E '^export (PG|BACKUP_)' > /etc/backup.env
echo "${BACKUP_SCHEDULE} . /etc/backup.env; sh /usr/local/bin/backup.sh >/proc/1/fd/1 2>/proc/1/fd/2" > /etc/crontabs/root
echo "backup: schedule '${BACKUP_SCHEDULE}', keeping ${BACKUP_KEEP_DAYS} days"
exec crond -f -l 8
