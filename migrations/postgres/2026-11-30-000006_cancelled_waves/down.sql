UPDATE waves SET status = 'closed' WHERE status = 'cancelled';
