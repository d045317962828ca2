package main

import (
	"context"
	"fmt"
	"io"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

var cliActor = ml.Actor{Kind: "system", Name: "cli"}

func runUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("user add", stderr)
	db := fs.String("db", "freshet.db", "SQLite database file")
	name := fs.String("name", "", "user name")
	role := fs.String("role", "annotator", "role: admin, lead or annotator")
	if err := parse(fs, args); err != nil {
		return err
	}
	r, err := ml.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("%s", ml.ErrorMessage(err))
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	u, pw, err := d.CreateUser(ctx, cliActor, *name, r, false)
	if err != nil {
		return fmt.Errorf("%s", ml.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created %s (%s); password (shown once): %s\n", u.Name, u.Role, pw)
	return nil
}

func runTokenAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token add", stderr)
	db := fs.String("db", "freshet.db", "SQLite database file")
	name := fs.String("name", "", "token name")
	scopes := fs.String("scopes", "ingest", "comma-separated scopes: ingest, predict, admin")
	if err := parse(fs, args); err != nil {
		return err
	}
	sc, err := ml.ParseScopes(*scopes)
	if err != nil {
		return fmt.Errorf("%s", ml.ErrorMessage(err))
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	t, secret, err := d.CreateToken(ctx, cliActor, *name, sc)
	if err != nil {
		return fmt.Errorf("%s", ml.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created token %s (scopes %v); secret (shown once):\n%s\n", t.Name, t.Scopes, secret)
	return nil
}
