#!/usr/bin/env bash
ctx logger error "schema migration failed: table users is locked"
ctx abort-operation "database create failed: table users is locked"
