module goldpan.dev/e2e/goldpan-runc

go 1.24
