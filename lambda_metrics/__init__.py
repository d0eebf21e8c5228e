"""lambda_metrics"""
