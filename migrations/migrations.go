// Package migrations holds Quarry's PostgreSQL schema as numbered SQL
// files, applied in order by golang-migrate.
package migrations

import "embed"

// FS holds every migration, named NNNN_title.up.sql / NNNN_title.down.sql.
//
//go:embed *.sql
var FS embed.FS
