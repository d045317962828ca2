// Command freshet is the automated model-retraining server: the web
// dashboard and API, the background worker, and CLI tools.
//
//	freshet serve  [--addr 127.0.0.1:8080] [--db freshet.db] [--data-dir DIR] [--demo=true]
//	freshet worker [--db freshet.db]
//	freshet user add --name N --role admin|lead|annotator [--db freshet.db]
//	freshet token add --name N --scopes ingest,predict,admin [--db freshet.db]
//	freshet train --data F.csv --label COL [--time COL] [--out model.txt] [--json]
//	freshet predict --model model.txt --data F.csv
//
// Every flag takes its default from the environment variable FRESHET_<FLAG>
// (dashes become underscores); a flag on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/freshet/freshet/jobs"
	"io"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

func main() {
	// A training job runs as a child process of this binary.
	if code, ok := jobs.RunChild(); ok {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "freshet:", err)
		}
		os.Exit(2)
	}
}

const usage = `freshet — automated model retraining

Usage:
  freshet serve   [--addr 127.0.0.1:8080] [--db freshet.db] [--data-dir DIR] [--demo=true]
  freshet worker  [--db freshet.db]
  freshet user add  --name NAME --role admin|lead|annotator [--db freshet.db]
  freshet token add --name NAME --scopes ingest,predict,admin [--db freshet.db]
  freshet al-sim  --data F.csv --label COL [--time COL] [--strategies LIST] [--seeds 10] [--json] [--svg out.svg]
  freshet backtest --data F.csv --label COL [--time COL] [--batch N] [--policies LIST] [--rounds N] [--json]
  freshet version

Flags default to FRESHET_<FLAG> environment variables.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr, true)
	case "worker":
		return runWorker(ctx, args[1:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "add" {
			return fmt.Errorf("usage: freshet user add --name NAME --role admin|lead|annotator")
		}
		return runUserAdd(ctx, args[2:], stdout, stderr)
	case "token":
		if len(args) < 2 || args[1] != "add" {
			return fmt.Errorf("usage: freshet token add --name NAME --scopes ingest,predict,admin")
		}
		return runTokenAdd(ctx, args[2:], stdout, stderr)
	case "train":
		return runTrain(args[1:], stdout, stderr)
	case "predict":
		return runPredict(args[1:], stdout, stderr)
	case "drift":
		return runDrift(args[1:], stdout, stderr)
	case "al-sim":
		return runALSim(args[1:], stdout, stderr)
	case "backtest":
		return runBacktest(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "freshet", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
