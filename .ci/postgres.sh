#!/usr/bin/env bash
# Make a PostgreSQL server available to the operational store's tests, then export its URL.
# Sourced by .ci/run (so the export reaches `make test`); also runnable alone to prepare a machine.
# Installs Debian's `postgresql` only when no server is present, binds it to 127.0.0.1, and creates a
# test role that may create databases (each pytest worker makes its own).
set -euo pipefail

PC_PG_USER="${PC_PG_USER:-policecloud_test}"
PC_PG_PASSWORD="${PC_PG_PASSWORD:-policecloud_test}"
PC_PG_DB="${PC_PG_DB:-policecloud_test}"

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

PC_PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$PC_PG_VERSION main"; then
    pg_createcluster "$PC_PG_VERSION" main >/dev/null
fi
PC_PG_CONF="/etc/postgresql/$PC_PG_VERSION/main/postgresql.conf"
grep -q "^listen_addresses = '127.0.0.1'" "$PC_PG_CONF" || echo "listen_addresses = '127.0.0.1'" >> "$PC_PG_CONF"
if ! pg_lsclusters -h | awk -v v="$PC_PG_VERSION" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
    pg_ctlcluster "$PC_PG_VERSION" main start
fi
PC_PG_PORT="$(pg_lsclusters -h | awk -v v="$PC_PG_VERSION" '$1 == v && $2 == "main" {print $3}')"

pc_psql() { su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -p $PC_PG_PORT $*"; }
if [ "$(pc_psql "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$PC_PG_USER'\"")" != "1" ]; then
    pc_psql "-c \"CREATE ROLE $PC_PG_USER LOGIN CREATEDB PASSWORD '$PC_PG_PASSWORD'\""
fi
if [ "$(pc_psql "-c \"SELECT 1 FROM pg_database WHERE datname = '$PC_PG_DB'\"")" != "1" ]; then
    pc_psql "-c \"CREATE DATABASE $PC_PG_DB OWNER $PC_PG_USER\""
fi

export POLICECLOUD_TEST_PG_URL="postgresql+psycopg://$PC_PG_USER:$PC_PG_PASSWORD@127.0.0.1:$PC_PG_PORT/$PC_PG_DB"
echo "PostgreSQL $PC_PG_VERSION ready: POLICECLOUD_TEST_PG_URL=${POLICECLOUD_TEST_PG_URL/:$PC_PG_PASSWORD@/:***@}"
