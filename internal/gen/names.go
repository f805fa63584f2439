package gen

import "fmt"

// Vietnamese names for synthetic people and places, with their diacritics (NFC).
var (
	familyNames  = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Châu"}
	middleMale   = []string{"Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Ngọc", "Đình", "Tấn"}
	middleFemale = []string{"Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Hồng"}
	givenMale    = []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Khoa", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Ân", "Ẩn", "Ổn"}
	givenFemale  = []string{"Anh", "Châu", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "Nga", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Trinh", "Uyên", "Vân", "Xuân", "Yến", "Ánh", "Ấu"}
	places       = []string{"Long Hồ", "Mang Thít", "Vũng Liêm", "Tam Bình", "Trà Ôn", "Bình Minh", "Bình Tân", "Tân Quới", "An Bình", "Hòa Ninh", "Phú Quới", "Thạnh Quới", "Lộc Hòa", "Tân Hạnh", "Đông Thành", "Mỹ An", "Nhơn Phú", "Hựu Thành", "Quới Thiện", "Trung Hiệp", "Ngãi Tứ", "Song Phú", "Hòa Lộc", "Tích Thiện", "Xuân Hiệp", "Đông Bình", "Thuận An", "Tân Lược", "Ấp Bắc", "Ô Môn", "Ea Kar", "Đắk Mil", "Yên Thế", "Ứng Hòa", "Ỷ La"}
	agencies     = []string{"Văn phòng Ủy ban nhân dân", "Phòng Tài chính - Kế hoạch", "Cơ quan Ủy ban Mặt trận Tổ quốc", "Kho bạc Nhà nước", "Chi cục Thuế khu vực", "Tòa án nhân dân khu vực", "Viện Kiểm sát nhân dân khu vực", "Phòng Nội vụ"}
	services     = []string{"Trường Trung học cơ sở", "Trường Tiểu học", "Trường Mầm non", "Trung tâm Y tế", "Bệnh viện Đa khoa", "Trung tâm Văn hóa - Thể thao", "Trường Trung học phổ thông"}
	companies    = []string{"Cổ phần Cấp thoát nước", "TNHH Một thành viên Xổ số kiến thiết", "Cổ phần Dược phẩm", "Cổ phần Thủy sản", "Điện lực", "Cổ phần Vận tải thủy", "TNHH Lương thực"}
	forces       = []string{"Quân sự", "Công an", "Đồn Biên phòng", "Ban Chỉ huy Quân sự"}
	departments  = []string{"Phòng Hành chính - Tổng hợp", "Phòng Nghiệp vụ", "Phòng Kế toán", "Tổ Chuyên môn", "Phân xưởng Sản xuất", "Phòng Kỹ thuật", "Khối Văn phòng", "Tổ Văn - Sử", "Tổ Toán - Tin", "Khoa Nội", "Khoa Ngoại"}
)

func placeName(i int) string {
	if i < len(places) {
		return places[i]
	}
	return fmt.Sprintf("%s %d", places[i%len(places)], i/len(places)+1)
}
