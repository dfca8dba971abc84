module goc/reference

go 1.19
