-- The customer's record as the API and the sync payload show it (CustomerResponseType), rendered
-- when the customer is written, kept as text: a read sends it as it is, with no JSON parsing,
-- rendering or serializing per request. Rows written before this migration have none; their
-- readers render the record from `record`, as before.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS response_text text;
