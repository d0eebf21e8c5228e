"""The moto server fixture really speaks HTTP on loopback and starts clean for every test."""

from __future__ import annotations

import os

import boto3
from emulators.aws import MotoServer


def test_clients_reach_moto_on_loopback(moto_server: MotoServer) -> None:
    assert moto_server.url.startswith("http://127.0.0.1:")
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server.url
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="artboards-in")
    s3.put_object(Bucket="artboards-in", Key="a.png", Body=b"x")
    assert s3.get_object(Bucket="artboards-in", Key="a.png")["Body"].read() == b"x"
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="a", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
    )
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]] == ["a"]


def test_each_test_starts_from_an_empty_account(moto_server: MotoServer) -> None:
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
