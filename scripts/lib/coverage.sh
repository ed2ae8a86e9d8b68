#!/usr/bin/env bash
# Coverage of a test run: merges coverlet's Cobertura files into .data/coverage/ (HTML, Cobertura, text summary),
# prints one line per assembly and one overall, and checks them against tests/coverage-floors.txt. Source this file, then:
#   coverage_report RESULTS_DIR      writes the report and prints the lines
#   coverage_check                   0 when every floor is met, else prints what is below its floor and returns 1

COVERAGE_DIR=.data/coverage

coverage_report() {
    local results="$1"
    rm -rf "$COVERAGE_DIR"
    if ! ls "$results"/*/coverage.cobertura.xml >/dev/null 2>&1; then
        echo "coverage: no coverage was collected" >&2
        return 1
    fi
    dotnet tool run reportgenerator -reports:"$results/*/coverage.cobertura.xml" -targetdir:"$COVERAGE_DIR" \
        -reporttypes:"Html;Cobertura;TextSummary" -verbosity:Warning >/dev/null || return 1
    coverage_rates | while read -r name lines branches; do
        printf 'coverage: %-17s lines %5.1f%%  branches %5.1f%%\n' "$name" "$lines" "$branches"
    done
    echo "coverage: report in $COVERAGE_DIR/index.html"
}

# "NAME LINES BRANCHES" in percent, one line per assembly, then "overall".
coverage_rates() {
    local cobertura="$COVERAGE_DIR/Cobertura.xml"
    grep -o '<package [^>]*>' "$cobertura" | sed -E 's/.*name="([^"]*)".*line-rate="([^"]*)".*branch-rate="([^"]*)".*/\1 \2 \3/' \
        | awk '{ printf "%s %.1f %.1f\n", $1, $2 * 100, $3 * 100 }'
    grep -o '<coverage [^>]*>' "$cobertura" | sed -E 's/.*line-rate="([^"]*)".*branch-rate="([^"]*)".*/\1 \2/' \
        | awk '{ printf "overall %.1f %.1f\n", $1 * 100, $2 * 100 }'
}

coverage_check() {
    local rates missed=0 name min_lines min_branches lines branches
    rates="$(coverage_rates)"
    while read -r name min_lines min_branches; do
        case "$name" in ''|'#'*) continue ;; esac
        read -r lines branches < <(echo "$rates" | awk -v n="$name" '$1 == n { print $2, $3 }')
        if [ -z "${lines:-}" ]; then
            echo "coverage: $name has no coverage figure" >&2; missed=1; continue
        fi
        if awk -v a="$lines" -v b="$min_lines" 'BEGIN { exit !(a < b) }'; then
            echo "coverage below floor: $name lines $lines% < $min_lines%" >&2; missed=1
        fi
        if awk -v a="$branches" -v b="$min_branches" 'BEGIN { exit !(a < b) }'; then
            echo "coverage below floor: $name branches $branches% < $min_branches%" >&2; missed=1
        fi
    done < tests/coverage-floors.txt
    return "$missed"
}
