// Command orgqa is the nightly pipeline of a provincial Party Organization Board:
// ingest reporting units' spreadsheets, transform them into metrics, report.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }
