package search

import (
	"testing"

	"github.com/quarry-search/quarry/backend/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
