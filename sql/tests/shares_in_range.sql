-- test: shares_in_range
-- severity: error
-- title: Tỷ lệ nằm ngoài khoảng 0–100% hoặc tử số lớn hơn mẫu số
SELECT m.year, m.level, m.unit_code, m.metric, m.numerator, m.denominator, m.value
FROM mart_metrics m JOIN metric_catalog c ON c.metric = m.metric AND c.kind = 'ratio'
WHERE m.year = (SELECT year FROM params)
  AND (m.value < 0 OR m.value > 1 OR m.numerator > m.denominator OR m.numerator < 0);
