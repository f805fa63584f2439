-- test: province_is_sum_of_units
-- severity: error
-- title: Số liệu toàn tỉnh khác tổng số liệu các đơn vị báo cáo
SELECT p.metric, p.numerator, sum(r.numerator) AS units_numerator, p.denominator, sum(r.denominator) AS units_denominator
FROM mart_metrics p
JOIN mart_metrics r ON r.year = p.year AND r.level = 'reporting_unit' AND r.metric = p.metric
WHERE p.year = (SELECT year FROM params) AND p.level = 'province'
  AND p.metric IN (SELECT metric FROM metric_catalog WHERE kind IN ('ratio', 'count', 'per1000', 'quotient') AND metric <> 'M7')
GROUP BY p.metric, p.numerator, p.denominator
HAVING p.numerator <> sum(r.numerator) OR coalesce(p.denominator, 0) <> coalesce(sum(r.denominator), 0);
