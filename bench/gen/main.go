package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	var shape, gantryDir, tfDir string
	fs.IntVar(&o.Nodes, "n", 100, "nodes in total (a multiple of -layers)")
	fs.IntVar(&o.Layers, "layers", 10, "number of layers")
	fs.StringVar(&shape, "shape", "one", `"one" (one dependency per node) or "all" (-fanin dependencies per node)`)
	fs.IntVar(&o.FanIn, "fanin", 10, `dependencies per node in shape "all"`)
	fs.StringVar(&gantryDir, "gantry", "", "write the Gantry blueprint folder here")
	fs.StringVar(&tfDir, "terraform", "", "write the Terraform configuration here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if gantryDir == "" && tfDir == "" {
		return errors.New("nothing to do: give -gantry DIR and/or -terraform DIR")
	}
	o.Shape = Shape(shape)
	g, err := Build(o)
	if err != nil {
		return err
	}
	if gantryDir != "" {
		if err := WriteGantry(gantryDir, g); err != nil {
			return err
		}
	}
	if tfDir != "" {
		if err := WriteTerraform(tfDir, g); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "nodes=%d layers=%d width=%d edges=%d\n", len(g.Names), o.Layers, g.Width, g.Edges())
	return nil
}
