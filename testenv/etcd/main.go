// Command etcd is etcd's server, built from go.etcd.io/etcd/server/v3 for the test
// environment (`go install go.etcd.io/etcd/v3@...` refuses because of replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
