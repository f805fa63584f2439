-- model: metric_catalog
-- depends:
-- Every metric the marts hold, with its Vietnamese label, its kind (ratio: value =
-- numerator / denominator, 0–1; quotient: the same, but it may exceed 1; count:
-- value = numerator; per1000: value = 1.000 × numerator / denominator; median:
-- value = the median, numerator = how many it is the median of; grade: M18's
-- 1 green, 2 amber, 3 red; rating: the highest rating allowed, 4 HTXS … 1 KHT)
-- and the levels it is given at (all; cell only; rollup = organization,
-- reporting unit and province; org = grassroots organizations only; above =
-- reporting unit and province). M7 is two metrics under one name:
-- a cell's months with a regular meeting out of 12, and above a cell the cells
-- that met in all 12 months.
CREATE OR REPLACE TABLE metric_catalog AS
SELECT * FROM (VALUES
    (1,  'M1',  'all',    'ratio',   'Đảng viên đang công tác có giấy giới thiệu (1-213)'),
    (2,  'M2',  'all',    'ratio',   'Giấy giới thiệu được đảng ủy xã xác nhận'),
    (3,  'M3',  'all',    'ratio',   'Phiếu nhận xét (3-213) nhận về đúng hạn'),
    (4,  'M4',  'all',    'median',  'Số ngày từ khi ký giấy giới thiệu đến khi chi bộ nơi cư trú nhận (trung vị)'),
    (4,  'M4_on_time', 'all', 'ratio', 'Giấy giới thiệu được chi bộ nơi cư trú nhận trong thời hạn'),
    (5,  'M5',  'all',    'ratio',   'Nhận xét "Chưa tốt"'),
    (6,  'M6',  'all',    'count',   'Đảng viên bị nhận xét "Chưa tốt" nhưng xếp loại HTT hoặc HTXS'),
    (7,  'M7',  'cell',   'ratio',   'Số tháng có sinh hoạt thường kỳ / 12'),
    (7,  'M7',  'rollup', 'ratio',   'Chi bộ sinh hoạt thường kỳ đủ 12 tháng'),
    (8,  'M8',  'all',    'ratio',   'Số quý có sinh hoạt chuyên đề / 4'),
    (9,  'M9',  'all',    'ratio',   'Tỷ lệ đảng viên dự sinh hoạt'),
    (9,  'M9_above85', 'all', 'ratio', 'Buổi sinh hoạt có trên 85% đảng viên dự'),
    (10, 'M10', 'all',    'ratio',   'Buổi sinh hoạt đủ thời lượng theo quy định'),
    (11, 'M11_tot', 'all', 'ratio', 'Buổi sinh hoạt xếp loại Tốt'),
    (11, 'M11_kha', 'all', 'ratio', 'Buổi sinh hoạt xếp loại Khá'),
    (11, 'M11_trung_binh', 'all', 'ratio', 'Buổi sinh hoạt xếp loại Trung bình'),
    (11, 'M11_kem', 'all', 'ratio', 'Buổi sinh hoạt xếp loại Kém'),
    (12, 'M12', 'rollup', 'ratio',   'Tổ chức cơ sở đảng được kiểm tra, giám sát'),
    (13, 'M13_kiem_tra', 'rollup', 'count', 'Lượt kiểm tra'),
    (13, 'M13_giam_sat', 'rollup', 'count', 'Lượt giám sát'),
    (13, 'M13_kiem_tra_thuong_xuyen_to_chuc', 'rollup', 'count', 'Kiểm tra thường xuyên tổ chức đảng'),
    (13, 'M13_kiem_tra_thuong_xuyen_dang_vien', 'rollup', 'count', 'Kiểm tra thường xuyên đảng viên'),
    (13, 'M13_kiem_tra_chuyen_de_to_chuc', 'rollup', 'count', 'Kiểm tra chuyên đề tổ chức đảng'),
    (13, 'M13_kiem_tra_chuyen_de_dang_vien', 'rollup', 'count', 'Kiểm tra chuyên đề đảng viên'),
    (13, 'M13_kiem_tra_dau_hieu_vi_pham_to_chuc', 'rollup', 'count', 'Kiểm tra tổ chức đảng khi có dấu hiệu vi phạm'),
    (13, 'M13_kiem_tra_dau_hieu_vi_pham_dang_vien', 'rollup', 'count', 'Kiểm tra đảng viên khi có dấu hiệu vi phạm'),
    (13, 'M13_giam_sat_thuong_xuyen_to_chuc', 'rollup', 'count', 'Giám sát thường xuyên tổ chức đảng'),
    (13, 'M13_giam_sat_thuong_xuyen_dang_vien', 'rollup', 'count', 'Giám sát thường xuyên đảng viên'),
    (13, 'M13_giam_sat_chuyen_de_to_chuc', 'rollup', 'count', 'Giám sát chuyên đề tổ chức đảng'),
    (13, 'M13_giam_sat_chuyen_de_dang_vien', 'rollup', 'count', 'Giám sát chuyên đề đảng viên'),
    (13, 'M13_giam_sat_dau_hieu_vi_pham_to_chuc', 'rollup', 'count', 'Giám sát tổ chức đảng khi có dấu hiệu vi phạm'),
    (13, 'M13_giam_sat_dau_hieu_vi_pham_dang_vien', 'rollup', 'count', 'Giám sát đảng viên khi có dấu hiệu vi phạm'),
    (13, 'M13_vi_pham', 'rollup', 'ratio', 'Cuộc đã kết luận có vi phạm'),
    (14, 'M14_dang_vien_khien_trach', 'rollup', 'count', 'Đảng viên bị khiển trách'),
    (14, 'M14_dang_vien_canh_cao', 'rollup', 'count', 'Đảng viên bị cảnh cáo'),
    (14, 'M14_dang_vien_cach_chuc', 'rollup', 'count', 'Đảng viên bị cách chức'),
    (14, 'M14_dang_vien_khai_tru', 'rollup', 'count', 'Đảng viên bị khai trừ'),
    (14, 'M14_to_chuc_khien_trach', 'rollup', 'count', 'Tổ chức đảng bị khiển trách'),
    (14, 'M14_to_chuc_canh_cao', 'rollup', 'count', 'Tổ chức đảng bị cảnh cáo'),
    (14, 'M14_to_chuc_giai_tan', 'rollup', 'count', 'Tổ chức đảng bị giải tán'),
    (14, 'M14_per1000', 'rollup', 'per1000', 'Đảng viên bị kỷ luật trên 1.000 đảng viên'),
    (15, 'M15_dang_vien_htxs', 'all', 'ratio', 'Đảng viên hoàn thành xuất sắc nhiệm vụ'),
    (15, 'M15_dang_vien_htt', 'all', 'ratio', 'Đảng viên hoàn thành tốt nhiệm vụ'),
    (15, 'M15_dang_vien_ht', 'all', 'ratio', 'Đảng viên hoàn thành nhiệm vụ'),
    (15, 'M15_dang_vien_kht', 'all', 'ratio', 'Đảng viên không hoàn thành nhiệm vụ'),
    (15, 'M15_to_chuc_htxs', 'rollup', 'ratio', 'Tổ chức đảng hoàn thành xuất sắc nhiệm vụ'),
    (15, 'M15_to_chuc_htt', 'rollup', 'ratio', 'Tổ chức đảng hoàn thành tốt nhiệm vụ'),
    (15, 'M15_to_chuc_ht', 'rollup', 'ratio', 'Tổ chức đảng hoàn thành nhiệm vụ'),
    (15, 'M15_to_chuc_kht', 'rollup', 'ratio', 'Tổ chức đảng không hoàn thành nhiệm vụ'),
    (16, 'M16', 'rollup', 'quotient', 'Đảng viên HTXS so với đảng viên HTT'),
    (16, 'M16_breach', 'rollup', 'count', 'Tổ chức cơ sở đảng có tỷ lệ HTXS vượt mức cho phép'),
    (17, 'M17', 'rollup', 'count', 'Tổ chức cơ sở đảng xếp HTXS có tổ chức trực thuộc hoặc đảng viên bị kỷ luật'),
    (18, 'M18_M1', 'org', 'grade', 'Đánh giá chỉ tiêu M1'),
    (18, 'M18_M3', 'org', 'grade', 'Đánh giá chỉ tiêu M3'),
    (18, 'M18_M5', 'org', 'grade', 'Đánh giá chỉ tiêu M5'),
    (18, 'M18_M7', 'org', 'grade', 'Đánh giá chỉ tiêu M7'),
    (18, 'M18_M8', 'org', 'grade', 'Đánh giá chỉ tiêu M8'),
    (18, 'M18_M9', 'org', 'grade', 'Đánh giá chỉ tiêu M9'),
    (18, 'M18_M10', 'org', 'grade', 'Đánh giá chỉ tiêu M10'),
    (18, 'M18_M12', 'org', 'grade', 'Đánh giá chỉ tiêu M12'),
    (18, 'M18_max_rating', 'org', 'rating', 'Mức xếp loại cao nhất quy định cho phép'),
    (18, 'M18_red', 'above', 'count', 'Tổ chức cơ sở đảng có chỉ tiêu ở mức đỏ'),
    (18, 'M18_capped', 'above', 'count', 'Tổ chức cơ sở đảng không được xếp loại HTXS theo quy định')
) AS t(metric_no, metric, scope, kind, label_vi);
