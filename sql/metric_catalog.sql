-- model: metric_catalog
-- depends:
-- Every metric the marts hold, with its Vietnamese label, its kind (ratio: value =
-- numerator / denominator; count: value = numerator; per1000: value = 1.000 ×
-- numerator / denominator) and the levels it is given at (all; cell only; rollup =
-- organization, reporting unit and province). M7 is two metrics under one name:
-- a cell's months with a regular meeting out of 12, and above a cell the cells
-- that met in all 12 months.
CREATE OR REPLACE TABLE metric_catalog AS
SELECT * FROM (VALUES
    (1,  'M1',  'all',    'ratio',   'Đảng viên đang công tác có giấy giới thiệu (1-213)'),
    (2,  'M2',  'all',    'ratio',   'Giấy giới thiệu được đảng ủy xã xác nhận'),
    (3,  'M3',  'all',    'ratio',   'Phiếu nhận xét (3-213) nhận về đúng hạn'),
    (5,  'M5',  'all',    'ratio',   'Nhận xét "Chưa tốt"'),
    (7,  'M7',  'cell',   'ratio',   'Số tháng có sinh hoạt thường kỳ / 12'),
    (7,  'M7',  'rollup', 'ratio',   'Chi bộ sinh hoạt thường kỳ đủ 12 tháng'),
    (8,  'M8',  'all',    'ratio',   'Số quý có sinh hoạt chuyên đề / 4'),
    (9,  'M9',  'all',    'ratio',   'Tỷ lệ đảng viên dự sinh hoạt'),
    (9,  'M9_above85', 'all', 'ratio', 'Buổi sinh hoạt có trên 85% đảng viên dự'),
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
    (15, 'M15_to_chuc_kht', 'rollup', 'ratio', 'Tổ chức đảng không hoàn thành nhiệm vụ')
) AS t(metric_no, metric, scope, kind, label_vi);
