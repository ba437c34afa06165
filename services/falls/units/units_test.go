package units_test

import (
	"strings"
	"testing"

	"carecoord/pkg/locality"
	"carecoord/services/falls/domain"
	"carecoord/services/falls/units"
)

func TestDefault_is_demo_data_with_both_levels_across_the_county(t *testing.T) {
	r := units.Default(locality.Default())
	all := r.All()
	if !r.Demo || len(all) < 10 {
		t.Fatalf("demo %v, %d units", r.Demo, len(all))
	}
	levels, bases := map[domain.Level]int{}, map[string]bool{}
	for _, u := range all {
		levels[u.Level]++
		bases[u.BaseLocality] = true
	}
	if levels[domain.Level1] == 0 || levels[domain.Level2] == 0 || len(bases) < 8 {
		t.Fatalf("levels %v, %d bases", levels, len(bases))
	}
	if u, ok := r.Get("ucr-22"); !ok || u.Level != domain.Level2 || u.CallSign != "UCR 22" {
		t.Fatalf("ucr-22: %+v %v", u, ok)
	}
}

func TestParse_rejects_bad_reference_data(t *testing.T) {
	reg := locality.Default()
	for name, doc := range map[string]string{
		"unknown base":   `{"units":[{"id":"a","callSign":"A","baseLocality":"narnia","level":"LEVEL_1"}]}`,
		"bad level":      `{"units":[{"id":"a","callSign":"A","baseLocality":"leek","level":"LEVEL_3"}]}`,
		"duplicate id":   `{"units":[{"id":"a","callSign":"A","baseLocality":"leek","level":"LEVEL_1"},{"id":"a","callSign":"B","baseLocality":"leek","level":"LEVEL_1"}]}`,
		"duplicate sign": `{"units":[{"id":"a","callSign":"A","baseLocality":"leek","level":"LEVEL_1"},{"id":"b","callSign":"A","baseLocality":"leek","level":"LEVEL_1"}]}`,
		"bad id":         `{"units":[{"id":"A B","callSign":"A","baseLocality":"leek","level":"LEVEL_1"}]}`,
		"empty":          `{"units":[]}`,
	} {
		if _, err := units.Parse([]byte(doc), reg); err == nil || !strings.HasPrefix(err.Error(), "units data") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
