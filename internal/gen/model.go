// Package gen generates deterministic, seeded input in the shape of contract v1
// (domain.md §3): one report per reporting unit and year, with the nine sheets a
// unit sends. It owns the synthetic data only; it never touches the warehouse.
//
// A Report holds the values exactly as a unit writes them (Vietnamese labels,
// blanks where a unit leaves a cell empty), so tests can work out the expected
// metrics from the records independently of the SQL that computes them.
package gen

import "time"

// Report is one reporting unit's submission for one year.
type Report struct {
	UnitCode    string
	UnitName    string
	Year        int
	Author      string
	Created     time.Time
	Units       []Unit
	Members     []Member
	Letters     []Letter
	Comments    []Comment
	Meetings    []Meeting
	Inspections []Inspection
	Disciplines []Discipline
	Ratings     []Rating
	// Layout varies the way the sheet is written, as real exports do.
	Layout Layout
}

// Layout is how a unit's software or clerk happens to lay out the sheets.
type Layout struct {
	TitleRows bool // a title and a blank row above the header
	STT       bool // a leading row-number column
	TextDates bool // dates typed as dd/mm/yyyy text instead of date cells
	TotalRow  bool // a trailing "Tổng cộng" row on the members sheet
	BOM       bool // CSV written with a UTF-8 byte order mark
}

// Unit levels and member statuses as written in the sheets.
const (
	LevelAbove = "Đảng bộ cấp trên cơ sở"
	LevelOrg   = "Tổ chức cơ sở đảng"
	LevelCell  = "Chi bộ"

	SchemeIntroduced = "Giới thiệu"
	SchemeExcused    = "Miễn sinh hoạt nơi cư trú"
	SchemeNone       = "Không giới thiệu"

	StatusActive = "Đang sinh hoạt"
)

type Unit struct {
	Code, Name, Level, Type, Parent, OldCode string
	ValidFrom, ValidTo                       *time.Time
}

type Member struct {
	Code, Name        string
	Birth             time.Time
	Gender            string
	CellCode          string
	Working           string // "Có" / "Không"
	Scheme            string // blank means Giới thiệu
	ResidenceCommune  string
	ResidenceCellCode string
	Status            string // blank means Đang sinh hoạt
	StatusDate        *time.Time
}

type Letter struct {
	MemberCode, Number string
	Signed             time.Time
	Confirmed          *time.Time
	CellReceived       *time.Time
	Commune            string
}

type Comment struct {
	MemberCode    string
	Year          int
	ResidenceCell string
	MeetingDate   *time.Time
	Conclusion    string // "Tốt" / "Chưa tốt" / ""
	Content       string
	Sent          *time.Time
	Received      *time.Time
	Channel       string
}

type Meeting struct {
	CellCode                       string
	Date                           time.Time
	Kind                           string // Thường kỳ / Chuyên đề / Kết hợp
	Minutes                        int
	Members, Exempt, Present       int
	AbsentExcused, AbsentUnexcused int
	Grade                          string
}

type Inspection struct {
	Case, Activity, Kind, Subject string
	TargetType, TargetCode        string
	Start, Concluded              *time.Time
	Violation                     string // "Có" / "Không" / ""
}

type Discipline struct {
	Case, TargetType, TargetCode, Form string
	Decided                            time.Time
}

type Rating struct {
	TargetType, Code string
	Year             int
	Score            int // 0 means blank
	Self, Rating     string
}
