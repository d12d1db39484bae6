package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/backbeat/backbeat/server/app"
)

// backupFlags are the flags of backup and restore: where the data
// directory and the blobs are (the same flags as serve).
func backupFlags(name string) (*flag.FlagSet, *app.Config) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg := app.Defaults()
	cfg.BindStoreFlags(fs)
	fs.StringVar(&cfg.Media.BlobDir, "blob-dir", "", "directory of uploads and transcoded media (default <data-dir>/blobs) (env "+app.EnvVar("blob-dir")+")")
	fs.StringVar(&cfg.Media.S3Bucket, "blob-s3-bucket", "", "S3 bucket of the media: its blobs are not listed (env "+app.EnvVar("blob-s3-bucket")+")")
	return fs, &cfg
}

// parseDir parses the flags and the one backup directory of backup and
// restore.
func (e environ) parseDir(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := e.parseArgs(fs, args, 1)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("%s: want the backup directory: backbeat %s [flags] DIR", fs.Name(), fs.Name())
	}
	return pos[0], nil
}

// backupCmd is 'backbeat backup DIR': a consistent copy of a (possibly
// serving) embedded deployment's database and signing keys, with a blob
// manifest.
func (e environ) backupCmd(args []string) error {
	fs, cfg := backupFlags("backup")
	dir, err := e.parseDir(fs, args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	m, err := app.Backup(ctx, *cfg, dir)
	if err != nil {
		return err
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(e.stdout, "backbeat: backed up %d files (%d bytes) and a manifest of %d blobs to %s in %s\n",
		len(m.Files), size, len(m.Blobs), dir, time.Since(start).Round(time.Millisecond))
	return nil
}

// restoreCmd is 'backbeat restore DIR': the backup in DIR into an empty
// data directory.
func (e environ) restoreCmd(args []string) error {
	fs, cfg := backupFlags("restore")
	dir, err := e.parseDir(fs, args)
	if err != nil {
		return err
	}
	start := time.Now()
	r, err := app.Restore(context.Background(), *cfg, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backbeat: restored %d files into %s in %s\n", len(r.Manifest.Files), cfg.DataDir, time.Since(start).Round(time.Millisecond))
	if n := len(r.MissingBlobs); n > 0 {
		fmt.Fprintf(e.stderr, "backbeat: %d of the %d blobs the backup lists are missing from the blob directory (first: %s); restore them from the blob storage's own backup\n",
			n, len(r.Manifest.Blobs), r.MissingBlobs[0])
	}
	return nil
}
