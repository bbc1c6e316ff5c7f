package sqlite

// Delivered returns how many records s's subscriptions have taken from the
// in-memory tail and how many from the file.
func Delivered(s *Store) (fromTail, fromFile uint64) {
	return s.fromTail.Load(), s.fromFile.Load()
}
