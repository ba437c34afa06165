module carecoord/services/referrals

go 1.26.0
