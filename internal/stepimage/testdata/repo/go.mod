module example.com/stepimage-fixture

go 1.26
