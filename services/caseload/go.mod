module carecoord/services/caseload

go 1.26.0
