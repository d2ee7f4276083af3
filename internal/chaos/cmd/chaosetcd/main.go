// Command chaosetcd is etcd itself, built from the etcd server module this
// repository already depends on: the fault harness (internal/chaos) runs
// real etcd processes of the version the library is tested with, without
// downloading a binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
