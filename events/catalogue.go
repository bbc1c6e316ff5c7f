package events

// Catalogue returns a registry of every domain event type this build knows,
// at its current schema version. Each call builds a fresh registry.
func Catalogue() *Registry {
	return MustRegistry(
		TypeSpec{Name: TypeEvaluationRunSubmitted, Payload: EvaluationRunSubmitted{}},
		TypeSpec{Name: TypeMetricsComputed, Payload: MetricsComputed{}},
		TypeSpec{Name: TypeRuleEvaluated, Payload: RuleEvaluated{}},
		TypeSpec{Name: TypeEvaluationCompleted, Payload: EvaluationCompleted{}},
		TypeSpec{Name: TypeExtendedValidationCompleted, Payload: ExtendedValidationCompleted{}},
		TypeSpec{Name: TypeOverrideRecorded, Payload: OverrideRecorded{}},
		TypeSpec{Name: TypeExPostFailureRecorded, Payload: ExPostFailureRecorded{}},
		TypeSpec{Name: TypePolicyPublished, Payload: PolicyPublished{}},
		TypeSpec{Name: TypeDefaultPolicySet, Payload: DefaultPolicySet{}},
		TypeSpec{Name: TypeRiskSnapshotRecorded, Payload: RiskSnapshotRecorded{}},
		TypeSpec{Name: TypeCohortEvaluated, Payload: CohortEvaluated{}},
		TypeSpec{Name: TypeLiveMonitoringEvaluated, Payload: LiveMonitoringEvaluated{}},
		TypeSpec{Name: TypeDemotionCandidateTagged, Payload: DemotionCandidateTagged{}},
		TypeSpec{Name: TypeExitSignalEmitted, Payload: ExitSignalEmitted{}},
		TypeSpec{Name: TypeWorldSettingsUpdated, Payload: WorldSettingsUpdated{}},
		TypeSpec{Name: TypeModelCardPublished, Payload: ModelCardPublished{}},
	)
}
